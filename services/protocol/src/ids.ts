import { randomBytes } from 'node:crypto';


const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Time-ordered, prefixed ids (`run_01j9…`), sortable like ULIDs: command, event, run and message ids on both planes. */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (const b of randomBytes(16)) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}
