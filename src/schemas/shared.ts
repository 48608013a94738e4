import { BookSchema } from '../modules/books/book-view.js'
import { ProblemSchema } from './common.js'

/**
 * Schemas that several routes reference by `$id` (`Type.Ref`). Registered once at the root, they are
 * validated and serialised by name and appear under their own names in `components.schemas`.
 */
export const sharedSchemas = [ProblemSchema, BookSchema]
