/**
 * The catalogue core: what every feature that touches books shares. It has no routes and depends on
 * no other module; modules import it (and each other) only through their `index.ts`.
 */
export { activeBook, activeBookExists, bookIsActive } from './active-book.js'
export { AuthorRefSchema, BookSchema, bookViewColumns, catalogueSchemas, selectBookViews, toBookView, type BookView, type BookViewRow } from './book-view.js'
export { ownsOrAdmin, type Caller } from './caller.js'
