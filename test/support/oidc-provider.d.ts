// node-oidc-provider ships no type declarations; the tests use it only as a loopback peer.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
}
