/** The part of s3rver's API the tests use (the package ships no types). */
declare module 's3rver' {
  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory: string
    configureBuckets?: Array<{ name: string }>
  }

  /** Koa's context, as far as the request log reads it. */
  interface RequestContext {
    method: string
    url: string
    status: number
  }

  export default class S3rver {
    constructor (options: S3rverOptions)
    /** Koa's middleware list: what runs first sees every request. */
    middleware: Array<(context: RequestContext, next: () => Promise<void>) => Promise<void>>
    run (): Promise<{ address: string, port: number }>
    close (): Promise<void>
  }
}
