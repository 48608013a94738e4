import { Type, type StringOptions } from '@sinclair/typebox'

/** C0 and C1 control characters and DEL, as a regular-expression class body. */
const controls = '\\x00-\\x1F\\x7F-\\x9F'
const allowedInText = '\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F'

/**
 * Names, titles and other one-line fields: any Unicode (astral-plane and combining characters
 * included) but no control characters, and not blank. A NUL or an ANSI escape in a title would reach
 * every page and log line that shows it.
 */
export const oneLinePattern = `^[^${controls}]*[^\\s${controls}][^${controls}]*$`

/** Free text (a comment): tab and line breaks allowed, other control characters refused. */
export const textPattern = `^[^${allowedInText}]*$`

export const OneLine = (options: StringOptions & { maxLength: number }) =>
  Type.String({ minLength: 1, ...options, pattern: oneLinePattern })

export const Text = (options: StringOptions & { maxLength: number }) =>
  Type.String({ ...options, pattern: textPattern })
