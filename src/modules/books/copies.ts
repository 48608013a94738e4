import { ApiError } from '../../lib/problem.js'

/** A book's copies: `available + borrowed + held + setAside = total`, always (a CHECK in the database too). */
interface CopyState {
  totalCopies: number
  availableCopies: number
  borrowedCopies: number
  heldCopies: number
  setAsideCopies: number
}

/**
 * The copy counts after a change of `totalCopies` and/or (admins) `availableCopies`, keeping
 * `available + borrowed + held + setAside = total`. The copies on loan and those on the hold shelf
 * (kept for a ready hold) are out of an editor's reach. Throws the contract's 409s when the change
 * cannot fit.
 */
function nextCopies (current: CopyState, totalCopies: number | undefined, availableCopies: number | undefined): CopyState {
  const total = totalCopies ?? current.totalCopies
  const { borrowedCopies: borrowed, heldCopies: held } = current
  const committed = borrowed + held
  if (total < committed) {
    throw new ApiError('COPIES_BELOW_BORROWED', `totalCopies cannot go below the ${committed} copies out on loan or on the hold shelf`)
  }
  if (availableCopies !== undefined) {
    if (availableCopies < 0 || availableCopies > total - committed) {
      throw new ApiError('COPIES_OUT_OF_RANGE', `availableCopies must be between 0 and ${total - committed} (totalCopies − copies on loan or on the hold shelf)`)
    }
    return { totalCopies: total, availableCopies, borrowedCopies: borrowed, heldCopies: held, setAsideCopies: total - committed - availableCopies }
  }
  // Copies added or removed go onto or come off the shelf; when the shelf runs out, off the set-aside ones.
  const available = current.availableCopies + (total - current.totalCopies)
  return available >= 0
    ? { totalCopies: total, availableCopies: available, borrowedCopies: borrowed, heldCopies: held, setAsideCopies: current.setAsideCopies }
    : { totalCopies: total, availableCopies: 0, borrowedCopies: borrowed, heldCopies: held, setAsideCopies: total - committed }
}

/** The copy columns a change of `totalCopies` and/or `availableCopies` sets; none when it names neither. */
export function copyChanges (current: CopyState, totalCopies: number | undefined, availableCopies: number | undefined) {
  if (totalCopies === undefined && availableCopies === undefined) return {}
  const copies = nextCopies(current, totalCopies, availableCopies)
  return { totalCopies: copies.totalCopies, availableCopies: copies.availableCopies, setAsideCopies: copies.setAsideCopies }
}
