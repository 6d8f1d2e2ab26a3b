export { createKafka, type KafkaSettings } from "./kafka-client.js";
