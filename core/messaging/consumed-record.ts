/** One consumed Kafka record, however it arrived (a Lambda event, a kafkajs batch, the dev bus). */
export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  /** UTF-8 header values; the last value of a repeated key wins. */
  headers: Record<string, string>;
}
