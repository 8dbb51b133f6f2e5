/**
 * @module status-socket.reasons.test
 * Close-code texts of the status socket failure message, and the http→ws URL mapping.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeReason, socketBase } from '../src/status-socket.ts';

test('documented close codes have texts; others are "Unknown reason"', () => {
  assert.equal(closeReason(1000), 'Normal closure');
  assert.equal(closeReason(1005), 'No status received');
  assert.equal(closeReason(1006), 'Abnormal closure');
  assert.equal(closeReason(1015), 'TLS handshake failure');
  for (const code of [1004, 1012, 4000, 0]) assert.equal(closeReason(code), 'Unknown reason');
});

test('the socket URL swaps the http scheme for ws', () => {
  assert.equal(socketBase('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080');
  assert.equal(socketBase('https://device.example.com'), 'wss://device.example.com');
});
