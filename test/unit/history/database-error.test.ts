import assert from 'node:assert/strict';
import { asDatabaseError, DatabaseError } from '../../../src/history/database-error';

const FILE = '/data/store.sqlite';
const reasonOf = (error: unknown): string => asDatabaseError(error, FILE).reason;

describe('history/database-error', () => {
  it('calls a file that is not a database, or is malformed, corrupt, naming the file', () => {
    assert.equal(reasonOf(new Error('file is not a database')), 'corrupt');
    assert.equal(reasonOf(new Error('database disk image is malformed')), 'corrupt');
    assert.match(asDatabaseError(new Error('file is not a database'), FILE).message, /^\/data\/store\.sqlite is damaged/);
  });

  it("calls SQLite's I/O, open, full-disk and read-only failures, and Node's fs errors, io", () => {
    const messages = ['disk I/O error', 'unable to open database file', 'database or disk is full', 'attempt to write a readonly database'];
    for (const message of messages) {
      assert.equal(reasonOf(new Error(message)), 'io', message);
    }
    assert.equal(reasonOf(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })), 'io');
  });

  it('calls a lock held without an owner marker in use', () => {
    assert.equal(reasonOf(new Error('database is locked')), 'in-use');
  });

  it('calls a refused statement failed: the data, not the file', () => {
    assert.equal(reasonOf(new Error('UNIQUE constraint failed: notes.body')), 'failed');
    assert.equal(reasonOf(new Error('cannot store TEXT value in INTEGER column messages.type')), 'failed');
  });

  it('passes a DatabaseError through as it is', () => {
    const original = new DatabaseError('newer-schema', FILE, 'newer');
    assert.equal(asDatabaseError(original, '/elsewhere'), original);
  });
});
