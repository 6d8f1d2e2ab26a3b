import { allTopics } from "./topics.js";

/**
 * A full topic name as a metric label: the service's own name without the deployment's prefix
 * (so test runs and deployments sharing a cluster do not multiply series), anything else "other".
 */
export function topicLabel(fullTopic: string, prefixed: { topic(name: string): string }): string {
  return allTopics.find((name) => prefixed.topic(name) === fullTopic) ?? "other";
}
