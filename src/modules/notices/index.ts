import fp from 'fastify-plugin'
import { sendNotices } from './job.js'

/**
 * Notices (README "Notices"): every NOTICE_INTERVAL_SECONDS each instance emails the open borrows that
 * fall due within DUE_SOON_DAYS or are overdue, each borrow once per kind.
 */
export default fp(async function noticesModule (app) {
  app.scheduler.every('notices', app.config.NOTICE_INTERVAL_SECONDS * 1000, async (signal) => {
    const written = await sendNotices(app, signal)
    if (written.due_soon + written.overdue > 0) app.log.info({ notices: written }, 'notices written to the outbox')
  })
}, { name: 'notices', dependencies: ['scheduler', 'mail'] })
