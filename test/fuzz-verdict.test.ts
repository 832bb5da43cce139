/** The fuzz pass's verdict itself: a case's expectation decides whether a clean refusal or a result passes. */
import { describe, expect, test } from 'bun:test';
import { type Outcome, expectsOf, libraryVerdict, verdict } from './support/fuzz-harness.ts';
import { UserError } from '../core/errors.ts';

const outcome = (exitCode: number, stderr: string): Outcome => ({ exitCode, signal: null, stderr, timedOut: false, ms: 10 });
const refused = outcome(2, 'error: --micro_batch 100000000: at most 131072 fit\n');
const ran = outcome(0, '');

describe('the fuzz verdict', () => {
  test('a clean refusal fails a case that must run, and passes one that may be refused', () => {
    expect(verdict(refused, 'result')).toBe('refused an input that must run: error: --micro_batch 100000000: at most 131072 fit');
    expect(verdict(refused, 'either')).toBeUndefined();
    expect(verdict(refused, 'refusal')).toBeUndefined();
  });

  test('a result fails a case that must be refused, and is checked otherwise', () => {
    expect(verdict(ran, 'refusal')).toBe('exit 0 for an input that is certainly wrong');
    expect(verdict(ran, 'result', () => 'exit 0 without samples.npy')).toBe('exit 0 without samples.npy');
    expect(verdict(ran, 'either')).toBeUndefined();
  });

  test('a library refusal fails a call that must succeed; success fails one that must be refused', async () => {
    const refuse = () => {
      throw new UserError('noise: shape [3] is not [N,1,32,32]');
    };
    expect(await libraryVerdict(refuse, 'result')).toBe('refused an input that must run: noise: shape [3] is not [N,1,32,32]');
    expect(await libraryVerdict(refuse, 'either')).toBeUndefined();
    expect(await libraryVerdict(() => undefined, 'refusal')).toBe('accepted an input that is certainly wrong');
  });

  test("a drawn input's expectation: broken ones are refused, valid ones run, the rest either", () => {
    expect(expectsOf({ broken: true, valid: false })).toBe('refusal');
    expect(expectsOf({ broken: false, valid: true })).toBe('result');
    expect(expectsOf({ broken: false, valid: false })).toBe('either');
  });
});
