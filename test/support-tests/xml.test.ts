import assert from 'node:assert/strict';
import { parseXml } from '../support/xml.js';

describe('the XML reader of the tests', () => {
  it('reads elements, attributes and text, entities decoded', () => {
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 &amp; &#10;2"><b/>t&lt;&#x41;</a>\n');
    assert.deepEqual(root, { name: 'a', attributes: { x: '1 & \n2' }, children: [{ name: 'b', attributes: {}, children: [], text: '' }], text: 't<A' });
  });

  const broken: [string, string][] = [
    ['<a><b></a></b>', 'crossed tags'],
    ['<a>', 'an element left open'],
    ['<a>x & y</a>', 'a bare &'],
    ['<a>x < y</a>', 'a bare <'],
    ['<a>&nbsp;</a>', 'an unknown entity'],
    ['<a x="1" x="2"/>', 'a repeated attribute'],
    ["<a x='1'/>", 'a malformed attribute'],
    ['<a>\u0001</a>', 'a character XML cannot carry'],
    ['<a/><b/>', 'two roots'],
    ['x<a/>', 'text outside the root'],
  ];
  for (const [document, what] of broken) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseXml(document));
    });
  }
});
