export * from './build.js'
export * from './users.js'
export * from './processes.js'
