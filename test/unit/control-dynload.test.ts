// The control protocol's dynload commands: a name is validated like a dynloader name; no name means all.
import test from 'ava';
import { parseRequest } from '../../src/control/protocol.js';

test('dynload with a name, without one, and dynload-status parse; a bad name is refused', (t) => {
  t.like(parseRequest('{"v":1,"id":1,"cmd":"dynload","name":"spamhaus-drop"}'), { command: { cmd: 'dynload', name: 'spamhaus-drop' } });
  t.deepEqual(parseRequest('{"v":1,"id":2,"cmd":"dynload"}'), { v: 1, id: 2, command: { cmd: 'dynload' } });
  t.like(parseRequest('{"v":1,"id":3,"cmd":"dynload-status"}'), { command: { cmd: 'dynload-status' } });
  t.like(parseRequest('{"v":1,"id":4,"cmd":"dynload","name":"../etc"}'), { ok: false });
  t.like(parseRequest('{"v":1,"id":5,"cmd":"dynload","name":7}'), { ok: false });
});
