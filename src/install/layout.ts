// Where `watcher prep` puts things on the target system (paths as seen from its root; --root
// prefixes them). The unit's StateDirectory/RuntimeDirectory/LogsDirectory match these.

export const CONFIG_DIR = '/etc/watcher';
export const DROPIN_DIR = '/etc/watcher/watcher.d';
export const RULES_DIR = '/etc/watcher/rules.d';
export const STATE_DIR = '/var/lib/watcher';
export const RUN_DIR = '/run/watcher';
export const LOG_DIR = '/var/log/watcher';
export const SBIN_DIR = '/usr/local/sbin';
/** what prep installed, with checksums: unprep removes exactly this */
export const MANIFEST = '/var/lib/watcher/prep-manifest.json';

export const SYSTEMD_UNIT = '/etc/systemd/system/watcher.service';
export const SYSV_SCRIPT = '/etc/init.d/watcher';
export const LOGROTATE_FILE = '/etc/logrotate.d/watcher';
export const RSYSLOG_DIR = '/etc/rsyslog.d';
export const RSYSLOG_FILE = '/etc/rsyslog.d/30-watcher.conf';
/** syslog-ng counts as installed when its configuration directory exists */
export const SYSLOG_NG_ETC = '/etc/syslog-ng';
export const SYSLOG_NG_FILE = '/etc/syslog-ng/conf.d/watcher.conf';

export const MODULES = ['LG', 'MX', 'MB', 'WB'] as const;
/** the names users of the original Watcher know, as aliases of watcherctl (basename dispatch) */
export const ALIASES = ['freeme', ...MODULES.map((m) => `${m}injector`)] as const;
