/**
 * The Clock port's timers: ManualClock runs them inside advance(), in order of due time;
 * systemClock runs them in real time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../src/ports/clock.js';

describe('ManualClock', () => {
  it('moves only when told to, as before', () => {
    const clock = new ManualClock(1000);
    assert.equal(clock.now(), 1000);
    clock.advance(500);
    assert.equal(clock.now(), 1500);
  });

  it('runs the timers that come due, in order of due time, each at its due time', () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    clock.setTimer(300, () => ran.push(`c@${clock.now()}`));
    clock.setTimer(100, () => ran.push(`a@${clock.now()}`));
    clock.setTimer(100, () => ran.push(`b@${clock.now()}`));
    clock.setTimer(301, () => ran.push('late'));
    clock.advance(99);
    assert.deepEqual(ran, []);
    clock.advance(201);
    assert.deepEqual(ran, ['a@100', 'b@100', 'c@300']);
    assert.equal(clock.now(), 300);
    assert.equal(clock.pendingTimers, 1);
  });

  it('runs timers scheduled by a callback when they fall due within the same advance', () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    clock.setTimer(10, () => {
      ran.push(clock.now());
      clock.setTimer(10, () => ran.push(clock.now()));
      clock.setTimer(1000, () => ran.push(clock.now()));
    });
    clock.advance(50);
    assert.deepEqual(ran, [10, 20]);
    assert.equal(clock.now(), 50);
    assert.equal(clock.pendingTimers, 1);
  });

  it('a cancelled timer never runs; cancelling twice or after it ran is harmless', () => {
    const clock = new ManualClock(0);
    let ran = 0;
    const cancel = clock.setTimer(10, () => (ran += 1));
    cancel();
    cancel();
    clock.advance(100);
    assert.equal(ran, 0);
    const cancelLater = clock.setTimer(10, () => (ran += 1));
    clock.advance(10);
    cancelLater();
    assert.equal(ran, 1);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('systemClock', () => {
  it('runs a timer in real time and cancels one', async () => {
    let cancelledRan = false;
    const cancel = systemClock.setTimer(5, () => (cancelledRan = true));
    cancel();
    const keepAlive = setTimeout(() => {}, 1000); // the clock's timers are unref'd
    await new Promise<void>((resolve) => systemClock.setTimer(10, resolve));
    clearTimeout(keepAlive);
    assert.equal(cancelledRan, false);
  });
});
