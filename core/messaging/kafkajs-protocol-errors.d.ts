// kafkajs's table of protocol errors (not in its published types): the client's own notion of retriable.
declare module "kafkajs/src/protocol/error.js" {
  const protocol: { errorCodes: readonly { type: string; code: number; retriable: boolean; message: string }[] };
  export default protocol;
}
