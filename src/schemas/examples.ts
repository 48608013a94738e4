/**
 * The values the request examples share, so that pressing Execute on each operation in the order of
 * the guide (register, verify, log in, add a book, borrow it, …) succeeds on a fresh database: the
 * login uses the registered account, the borrow the first book. Values that only an earlier answer or
 * an email can give are placeholders saying where to find them.
 */
export const example = {
  email: 'reader@example.com',
  password: 'Quiet-lantern-47-orchard',
  newPassword: 'Amber-kettle-93-meadow',
  username: 'reader',
  bookId: 1,
  refresh: '<the refresh value of the POST /api/token answer>',
  access: '<the access value of the POST /api/token answer>',
  emailCode: '<the code from the email>',
  resetToken: '<the token from the password-reset link>',
  book: { title: 'The Hobbit', isbn: '978-0-261-10221-7', publicationYear: 1937, genre: 'Fantasy', author: 'J. R. R. Tolkien' },
  author: { name: 'Ursula K. Le Guin', birthdate: '1929-10-21', nationality: 'American' }
} as const
