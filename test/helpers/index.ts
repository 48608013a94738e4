export * from './build.js'
export * from './users.js'
