import assert from 'node:assert/strict';
import { findMentions, MAX_MENTIONS_PER_TEXT, mentionedNames, mentionsName } from '../../../src/shared/mentions';

describe('shared/mentions', () => {
  it('finds @name of a member, ignoring case, with its range', () => {
    assert.deepEqual(findMentions('hi @Bob!', ['bob']), [{ start: 3, end: 7, name: 'bob' }]);
  });

  it('takes the longest name that fits and needs a word boundary on both sides', () => {
    assert.deepEqual(mentionedNames('@ann lee and @ann', ['ann', 'ann lee']), ['ann lee', 'ann']);
    assert.deepEqual(mentionedNames('@bobby mail@bob.org @bob_', ['bob']), []);
    assert.deepEqual(mentionedNames('(@bob)', ['bob']), ['bob']);
  });

  it('ignores names that are not members', () => {
    assert.deepEqual(findMentions('@carol', ['bob']), []);
  });

  it(`stops after ${MAX_MENTIONS_PER_TEXT} mentions`, () => {
    assert.equal(findMentions('@bob '.repeat(1000), ['bob']).length, MAX_MENTIONS_PER_TEXT);
  });

  it('says whether a list of names includes you, ignoring case', () => {
    assert.equal(mentionsName(['Bob'], 'bob'), true);
    assert.equal(mentionsName(['ann'], 'bob'), false);
    assert.equal(mentionsName(undefined, 'bob'), false);
  });
});
