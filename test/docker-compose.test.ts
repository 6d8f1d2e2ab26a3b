import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../core/config/index.js";
import { defaultTestServices } from "./support/services.js";

const compose = parse(readFileSync(new URL("../docker-compose.yml", import.meta.url), "utf8"));
const libScript = readFileSync(new URL("../scripts/services/lib.sh", import.meta.url), "utf8");

const hostPorts = (service: string): number[] =>
  (compose.services[service].ports as string[]).map((mapping) => Number(mapping.split(":")[0]));
const scriptPort = (name: string) => Number(new RegExp(`${name}="\\$\\{${name}:-(\\d+)\\}"`).exec(libScript)?.[1]);

describe("docker-compose.yml", () => {
  // Defaults only: a developer's environment may point the app and tests elsewhere.
  const defaults = loadConfig({ env: {} });

  it("has the five services, each with a health check", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["chroma", "kafka", "mongo", "postgres", "redis"]);
    for (const [name, service] of Object.entries<{ healthcheck?: unknown }>(compose.services)) {
      expect(service.healthcheck, name).toBeDefined();
    }
  });

  it("publishes the ports the config defaults and the service scripts use", () => {
    expect(hostPorts("chroma")).toEqual([Number(new URL(defaults.CHROMA_URL ?? "").port)]);
    expect(hostPorts("chroma")).toEqual([scriptPort("CHROMA_PORT")]);
    expect(hostPorts("redis")).toEqual([Number(new URL(defaults.REDIS_URL ?? "").port)]);
    expect(hostPorts("redis")).toEqual([scriptPort("REDIS_PORT")]);
    expect(hostPorts("kafka")).toEqual([Number(defaults.KAFKA_BROKERS?.split(":")[1])]);
    expect(hostPorts("kafka")).toEqual([scriptPort("KAFKA_PORT")]);
    expect(hostPorts("postgres")).toEqual([Number(new URL(defaultTestServices.postgresUrl).port)]);
    expect(hostPorts("postgres")).toEqual([scriptPort("PG_PORT")]);
    expect(hostPorts("mongo")).toEqual([Number(new URL(defaultTestServices.mongoUrl).port)]);
    expect(hostPorts("mongo")).toEqual([scriptPort("MONGO_PORT")]);
  });

  it("advertises Kafka's host listener on the published port", () => {
    expect(compose.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain(
      `127.0.0.1:${scriptPort("KAFKA_PORT")}`,
    );
  });
});
