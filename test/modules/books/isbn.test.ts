import t from 'tap'
import { normalizeIsbn } from '../../../src/modules/books/isbn.js'

t.test('valid ISBN-13s come back as their digits', async (t) => {
  t.equal(normalizeIsbn('9780306406157'), '9780306406157')
  t.equal(normalizeIsbn('978-0-306-40615-7'), '9780306406157')
  t.equal(normalizeIsbn('978 0 306 40615 7'), '9780306406157')
  t.equal(normalizeIsbn(' 979-10-90636-07-1 '), '9791090636071', '979 prefix, surrounding spaces trimmed')
})

t.test('valid ISBN-10s are converted to ISBN-13', async (t) => {
  t.equal(normalizeIsbn('0306406152'), '9780306406157')
  t.equal(normalizeIsbn('0-306-40615-2'), '9780306406157')
  t.equal(normalizeIsbn('0 306 40615 2'), '9780306406157')
  t.equal(normalizeIsbn('080442957X'), '9780804429573', 'X check digit')
  t.equal(normalizeIsbn('0-8044-2957-x'), '9780804429573', 'lower-case x')
})

t.test('invalid ISBNs are refused', async (t) => {
  for (const input of [
    '9780306406158', // wrong ISBN-13 check digit
    '0306406153', // wrong ISBN-10 check digit
    '9770306406155', // 977 is not a book prefix
    '978030640615', // 12 digits
    '97803064061570', // 14 digits
    '03064061', // too short
    'X306406152', // X only as an ISBN-10 check digit
    '978030640615X', // X in an ISBN-13
    '978--0-306-40615-7', // doubled separator
    '-9780306406157', // leading separator
    '9780306406157-', // trailing separator
    '978_0306406157', // stray character
    ''
  ]) {
    t.equal(normalizeIsbn(input), undefined, input)
  }
})
