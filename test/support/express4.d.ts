// `express4` is the `npm:express@^4` alias used to run the flow suites on Express 4 as well.
// Typed with the installed Express 5 types: the suites only use the API both versions share.
declare module 'express4' {
  export { default } from 'express';
}
