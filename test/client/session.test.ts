/**
 * Client sessions (src/client/session.ts): the token only grows, and survives being
 * stored as a number or as text; anything that is not a log index is refused.
 */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/client/index.js';

describe('Session', () => {
  it('starts at 0, or at the token given', () => {
    expect(new Session().token).toBe(0);
    expect(new Session(42).token).toBe(42);
    expect(new Session(Number.MAX_SAFE_INTEGER).token).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('observe raises the token to the highest index seen and never lowers it', () => {
    const s = new Session(10);
    s.observe(12);
    expect(s.token).toBe(12);
    s.observe(11);
    expect(s.token).toBe(12);
    s.observe(12);
    expect(s.token).toBe(12);
    s.observe(0);
    expect(s.token).toBe(12);
    s.observe(2 ** 40);
    expect(s.token).toBe(2 ** 40);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 12.5, 2 ** 53, -1])(
    'observe ignores %d (not a log index)',
    (index) => {
      const s = new Session(12);
      s.observe(index);
      expect(s.token).toBe(12);
    },
  );

  it('sessions are independent of each other', () => {
    const a = new Session(5);
    const b = Session.resume(a.token);
    b.observe(9);
    expect(a.token).toBe(5);
    expect(b.token).toBe(9);
  });

  it('resumes from a number or from its decimal text', () => {
    expect(Session.resume(7).token).toBe(7);
    expect(Session.resume(0).token).toBe(0);
    expect(Session.resume('7').token).toBe(7);
    expect(Session.resume(' 42\n').token).toBe(42);
    expect(Session.resume('007').token).toBe(7);
    expect(Session.resume('9007199254740991').token).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('String(session), toString and JSON give the token, and resume takes them back', () => {
    const s = new Session();
    s.observe(123_456_789_012);
    expect(String(s)).toBe('123456789012');
    expect(s.toString()).toBe('123456789012');
    expect(`${s}`).toBe('123456789012');
    expect(JSON.stringify({ session: s })).toBe('{"session":123456789012}');
    expect(Session.resume(String(s)).token).toBe(s.token);
    const fromJson = JSON.parse(JSON.stringify({ session: s })) as { session: number };
    expect(Session.resume(fromJson.session).token).toBe(s.token);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_SAFE_INTEGER + 2])(
    'refuses the token %d with a TypeError',
    (token) => {
      expect(() => Session.resume(token)).toThrow(TypeError);
      expect(() => new Session(token)).toThrow(TypeError);
    },
  );

  it.each([
    '',
    '   ',
    'abc',
    '-1',
    '+1',
    '1.0',
    '1.5',
    '1e3',
    '0x10',
    '12abc',
    '1 2',
    'NaN',
    'Infinity',
    '9007199254740992', // 2^53: digits, but beyond a safe integer
    '99999999999999999999',
  ])('refuses the text %j with a TypeError', (token) => {
    expect(() => Session.resume(token)).toThrow(TypeError);
  });

  it('the error says what a token is', () => {
    expect(() => Session.resume('abc')).toThrow(/log index/);
    expect(() => Session.resume(-3)).toThrow(/log index/);
  });
});
