// The namespace lab itself: the peer reaches the server over IPv4 and IPv6 from extra addresses.
import test from 'ava';
import { createLab, netnsUnavailable, SERVER4, SERVER6 } from '../helpers/netns.js';

const why = netnsUnavailable();
if (why) {
  console.log(`SKIP lab tests: ${why}`);
  test.skip('lab: peer reaches server', () => undefined);
} else {
  test('lab: peer reaches server over IPv4 and IPv6, from extra addresses', async (t) => {
    const lab = createLab(t);
    lab.addPeerAddress('198.51.100.7');
    lab.addPeerAddress('2001:db8:1::7');
    await lab.serve(8080);
    t.is(await lab.connect('192.0.2.2', SERVER4, 8080), 'open');
    t.is(await lab.connect('198.51.100.7', SERVER4, 8080), 'open');
    t.is(await lab.connect('2001:db8:1::7', SERVER6, 8080), 'open');
    t.is(await lab.connect('198.51.100.7', SERVER4, 8081), 'refused');
  });
}
