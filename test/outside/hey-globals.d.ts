// The @hey-api client names the DOM's BodyInit, which Node's types (no DOM lib here) only give as RequestInit's body.
declare global {
  type BodyInit = NonNullable<RequestInit['body']>
}
export {}
