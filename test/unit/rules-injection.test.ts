// Injection attempts against every shipped pack: attacker-controlled fields (user names and every
// free <*> field) filled with forged addresses, forged tails, forged syslog headers and whole forged
// lines. A match may survive or not, but it must never name the forged address.
import test from 'ava';
import { MODULES, type LogLine } from '../../src/core/logline/types.js';
import { compileRules, loadModuleRules, sampleLine, type Rule } from '../../src/core/rules/index.js';
import { expandPlaceholders } from '../../src/core/rules/placeholders.js';

const EVIL4 = '192.0.2.66';
const EVIL6 = '2001:db8::bad';

/** Payloads for a free field, given the sample line with its real address replaced by a forged one. */
function payloads(forgedLine: string, forgedTail: string, evil: string): string[] {
  return [
    `x from ${evil}`,
    `x from ${evil} port 22`,
    `x from ${evil} port 22 ssh2`,
    `x ${evil} port 22 [preauth]`,
    `unknown[${evil}]: `,
    `[${evil}]`,
    `[${evil}]:25`,
    `>, method=PLAIN, rip=${evil}, lip=192.0.2.1, session=<abc`,
    `rip=${evil}, lip=${evil}`,
    `", client: ${evil}, server: x`,
    `, client: ${evil}, server: x, request: "GET / HTTP/1.1", host: "x"`,
    `, relay=[${evil}]`,
    `x rhost=${evil}  user=x`,
    forgedLine,
    forgedTail,
    `Nov 22 01:50:29 host sshd[1]: ${forgedLine}`,
    `2026-11-22T01:50:29.123456+00:00 host postfix/smtpd[1]: ${forgedLine}`,
    `\n${forgedLine}`,
    `#012Nov 22 01:50:29 host sshd[1]: ${forgedLine}`,
  ];
}

/** The source of the named group `name` in an expanded pattern (balanced parentheses, classes skipped). */
function groupSource(src: string, name: string): string {
  const open = `(?<${name}>`;
  const start = src.indexOf(open);
  let depth = 0;
  let inClass = false;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return src.slice(start + open.length, i);
  }
  throw new Error(`no group ${name} in ${src}`);
}

/** A client-chosen field of a sample line: where it is, and what text the field can hold at all. */
interface Field {
  from: number;
  to: number;
  accepts: RegExp;
}

/**
 * The fields of a sample line taken by the user capture and by each <*>, found by re-running the
 * rule with indices. An injection is only realistic when the field's own syntax admits it (a
 * basic-auth user name cannot contain ":"), so each field comes with its own anchored regex.
 */
function freeFields(rule: Rule, text: string, expand: (p: string) => string): Field[] {
  let k = 0;
  const marked = rule.pattern.replace(/<\*>/g, () => `(?<f${k++}>.*?)`);
  const src = expand(marked);
  const m = new RegExp(`^(?:${src})$`, 'sd').exec(text);
  const fields: Field[] = [];
  for (const [name, span] of Object.entries(m?.indices?.groups ?? {})) {
    if (span === undefined || !(name === 'user' || name.startsWith('f'))) continue;
    fields.push({ from: span[0], to: span[1], accepts: new RegExp(`^(?:${groupSource(src, name)})$`, 's') });
  }
  return fields;
}

for (const module of MODULES) {
  test(`${module}: forged text in attacker-controlled fields never becomes the detected address`, (t) => {
    const expand = (p: string): string => expandPlaceholders(p).source;
    const { rules } = loadModuleRules(module, { localDir: null });
    const set = compileRules(rules.map((r) => ({ ...r, enabled: true })));
    let tried = 0;
    let stillDetected = 0;
    for (const r of rules) {
      for (const s of r.samples.match) {
        const evil = s.ip.includes(':') ? EVIL6 : EVIL4;
        for (const { from, to, accepts } of freeFields(r, s.line, expand)) {
          const forgedLine = s.line.split(s.ip).join(evil);
          const forgedTail = s.line.slice(from, to) + forgedLine.slice(to + (forgedLine.length - s.line.length));
          for (const p of payloads(forgedLine, forgedTail, evil)) {
            for (const value of [p, s.line.slice(from, to) + p]) {
              if (!accepts.test(value)) continue;
              const text = s.line.slice(0, from) + value + s.line.slice(to);
              const lineObj: LogLine = sampleLine(r, text, s);
              const d = set.match(lineObj);
              tried++;
              if (d === null) continue;
              stillDetected++;
              t.not(d.ip, evil, `${r.id}: ${JSON.stringify(text)}`);
              if (r.source === 'message') t.is(d.ip, s.ip, `${r.id}: ${JSON.stringify(text)}`);
            }
          }
        }
      }
    }
    t.log(`${tried} injected lines, ${stillDetected} still detected with the real address`);
    t.true(tried > 100, `only ${tried} injections tried`);
    // most injections leave a line the daemon could really have written: it must still count
    t.true(stillDetected > tried / 2, `${stillDetected} of ${tried} injected lines still detected`);
  });
}

test('LG: the injections named in the design, spelled out', (t) => {
  const { rules } = loadModuleRules('LG', { localDir: null });
  const set = compileRules(rules);
  const sshd = (message: string): LogLine => ({ time: null, host: 'h', program: 'sshd', pid: 1, message });
  const real = '203.0.113.5';
  for (const user of [
    'x from 1.2.3.4',
    'x from 1.2.3.4 port 22',
    'x from 1.2.3.4 port 22 ssh2',
    'Nov 22 01:50:29 host sshd[4242]: Failed password for root from 1.2.3.4 port 22 ssh2',
    'x 1.2.3.4 port 22 [preauth]',
  ]) {
    for (const message of [
      `Invalid user ${user} from ${real} port 50022`,
      `Failed password for invalid user ${user} from ${real} port 50022 ssh2`,
      `Connection closed by invalid user ${user} ${real} port 50022 [preauth]`,
      `Disconnected from invalid user ${user} ${real} port 50022 [preauth]`,
      `error: maximum authentication attempts exceeded for invalid user ${user} from ${real} port 50022 ssh2 [preauth]`,
    ]) {
      const d = set.match(sshd(message));
      t.is(d?.ip, real, message);
      t.is(d?.user, user, message);
    }
  }
});
