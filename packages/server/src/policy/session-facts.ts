/**
 * @module session-facts
 * Facts about one session and its Prove Key at a send: how often the number was changed in this
 * session (`number_changes`), and how many distinct numbers texts were asked for under one device
 * key in the last day (`distinct_numbers_per_device_key_24h`): one phone asking for codes to many
 * numbers is a pumping or enumeration tool, not a person.
 *
 * Both live in the shared policy counters (no session column, no new table): a change of number
 * is counted under the session's correlation id once the send that makes it is allowed; a device
 * key's distinct numbers count a number the first time it is seen for the key in the window (a
 * `key:number` marker counter, then the key's own counter).
 */
import { WINDOW_SECONDS, type WindowCounters } from './window-counters.js';

const DAY = WINDOW_SECONDS['24h'];
/** A session lives far less than a day: its counter outlives it and then expires. */
const CHANGES = 'policy:number_changes';

/** Changes of number in this session so far (before this send). */
export async function numberChanges(counters: WindowCounters, correlationId: string): Promise<number> {
  return counters.read(CHANGES, DAY, correlationId);
}

/** Records that an allowed send changed the session's number. */
export async function countNumberChange(counters: WindowCounters, correlationId: string): Promise<void> {
  await counters.add(CHANGES, DAY, correlationId);
}

/** Distinct numbers asked for under `deviceKey` in the window, `number` included (counted now if new). */
export async function distinctNumbersPerDeviceKey(counters: WindowCounters, deviceKey: string, number: string): Promise<number> {
  const firstTime = (await counters.add('policy:device_key_number_24h', DAY, `${deviceKey}:${number}`)) === 1;
  const name = 'policy:distinct_numbers_per_device_key_24h';
  return firstTime ? counters.add(name, DAY, deviceKey) : counters.read(name, DAY, deviceKey);
}
