import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../core/config/index.js";
import { defaultTestServices } from "./support/services.js";

const compose = parse(readFileSync(new URL("../docker-compose.yml", import.meta.url), "utf8"));
const root = path.resolve(import.meta.dirname, "..");
const libScript = readFileSync(new URL("../scripts/services/lib.sh", import.meta.url), "utf8");

const hostPorts = (service: string): number[] =>
  (compose.services[service].ports as string[]).map((mapping) => Number(mapping.split(":")[0]));
const scriptPort = (name: string) => Number(new RegExp(`${name}="\\$\\{${name}:-(\\d+)\\}"`).exec(libScript)?.[1]);

describe("docker-compose.yml", () => {
  // Defaults only: a developer's environment may point the app and tests elsewhere.
  const defaults = loadConfig({ env: {} });

  it("has the six services, the monitoring pair and the optional replica set, each with a health check", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "chroma",
      "connect",
      "grafana",
      "kafka",
      "mongo",
      "mongo-rs",
      "postgres",
      "prometheus",
      "redis",
    ]);
    for (const [name, service] of Object.entries<{ healthcheck?: unknown }>(compose.services)) {
      expect(service.healthcheck, name).toBeDefined();
    }
    // Opt-in only: change streams need a replica set, which the default stack does not start.
    expect(compose.services["mongo-rs"]).toMatchObject({
      profiles: ["mongo-cdc"],
      command: ["--replSet", "rs0", "--bind_ip_all"],
    });
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
    // The keyword index's database: the default setting, the service script and the compose init all name it.
    const searchUrl = new URL(defaults.SEARCH_DATABASE_URL ?? "");
    expect(hostPorts("postgres")).toEqual([Number(searchUrl.port)]);
    const searchDatabase = searchUrl.pathname.slice(1);
    const initSql = readFileSync(new URL("../scripts/docker/postgres-init.sql", import.meta.url), "utf8");
    const pgScript = readFileSync(new URL("../scripts/services/postgres.sh", import.meta.url), "utf8");
    for (const database of [searchDatabase, new URL(defaultTestServices.searchUrl).pathname.slice(1)]) {
      expect(initSql).toContain(`CREATE DATABASE ${database} OWNER chat;`);
      expect(pgScript).toMatch(new RegExp(`PG_DATABASES=\\([^)]*\\b${database}\\b`));
    }
    expect(hostPorts("mongo")).toEqual([Number(new URL(defaultTestServices.mongoUrl).port)]);
    expect(hostPorts("mongo")).toEqual([scriptPort("MONGO_PORT")]);
    const connectScript = readFileSync(new URL("../scripts/services/connect.sh", import.meta.url), "utf8");
    expect(hostPorts("connect")).toEqual([Number(new URL(defaults.KAFKA_CONNECT_URL).port)]);
    expect(hostPorts("connect")).toEqual([Number(/CONNECT_PORT="\$\{CONNECT_PORT:-(\d+)\}"/.exec(connectScript)?.[1])]);
  });

  it("advertises Kafka's host listener on the published port", () => {
    expect(compose.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain(
      `127.0.0.1:${scriptPort("KAFKA_PORT")}`,
    );
  });

  describe("monitoring", () => {
    /** `./host/path:/container/path[:ro]` bind mounts of a service, the host side resolved. */
    const binds = (service: string) =>
      (compose.services[service].volumes as string[])
        .filter((volume) => volume.startsWith("./"))
        .map((volume) => {
          const [host = "", container = ""] = volume.split(":");
          return { host: path.resolve(root, host), container };
        });
    const hostPathOf = (service: string, container: string) => {
      const bind = binds(service).find((candidate) => container.startsWith(candidate.container));
      return bind && path.join(bind.host, path.relative(bind.container, container));
    };
    const containerPort = (service: string) => Number((compose.services[service].ports as string[])[0]?.split(":")[1]);

    it("mounts files and folders that exist in the repository", () => {
      for (const service of ["prometheus", "grafana"]) {
        expect(binds(service).length, service).toBeGreaterThan(0);
        for (const bind of binds(service)) expect(existsSync(bind.host), bind.host).toBe(true);
      }
    });

    it("has Prometheus read its mounted config, which scrapes the app's and the workers' /metrics ports", () => {
      const prometheus = compose.services.prometheus;
      const configFlag = (prometheus.command as string[]).find((flag) => flag.startsWith("--config.file="));
      const configPath = hostPathOf("prometheus", configFlag?.split("=")[1] ?? "");
      expect(configPath && statSync(configPath).isFile()).toBe(true);
      const config = parse(readFileSync(configPath ?? "", "utf8"));
      const jobs = config.scrape_configs as { metrics_path?: string; static_configs: { targets: string[] }[] }[];
      const targets = jobs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
      for (const job of jobs) expect(job.metrics_path ?? "/metrics").toBe("/metrics");
      const ports = targets.map((target) => Number(target.split(":").at(-1)));
      expect(ports).toEqual(expect.arrayContaining([defaults.PORT, defaults.WORKERS_METRICS_PORT]));
      // The targets are on the host: the container must be able to resolve it.
      const hosts = new Set(targets.map((target) => target.split(":")[0]));
      for (const host of hosts) {
        expect(prometheus.extra_hosts).toContain(`${host}:host-gateway`);
      }
    });

    it("provisions Grafana's Prometheus datasource and the dashboard folder", () => {
      const provisioning = hostPathOf("grafana", "/etc/grafana/provisioning") ?? "";
      const datasources = readdirSync(path.join(provisioning, "datasources")).flatMap(
        (file) => parse(readFileSync(path.join(provisioning, "datasources", file), "utf8")).datasources,
      );
      const prometheusSource = datasources.find((source: { type: string }) => source.type === "prometheus");
      expect(prometheusSource.url).toBe(`http://prometheus:${containerPort("prometheus")}`);

      const providers = readdirSync(path.join(provisioning, "dashboards")).flatMap(
        (file) => parse(readFileSync(path.join(provisioning, "dashboards", file), "utf8")).providers,
      );
      const dashboardsFolder = hostPathOf("grafana", providers[0].options.path) ?? "";
      const dashboards = readdirSync(dashboardsFolder).filter((file) => file.endsWith(".json"));
      expect(dashboards.length).toBeGreaterThan(0);
      const home = compose.services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
      expect(existsSync(hostPathOf("grafana", home) ?? "")).toBe(true);

      for (const file of dashboards) {
        const dashboard = JSON.parse(readFileSync(path.join(dashboardsFolder, file), "utf8"));
        const uids = new Set(
          (dashboard.panels as { type: string; datasource?: { uid: string } }[])
            .filter((panel) => panel.type !== "row")
            .map((panel) => panel.datasource?.uid),
        );
        expect([...uids], file).toEqual([prometheusSource.uid]);
      }
    });

    it("publishes ports no other service uses", () => {
      const published = Object.values<{ ports?: string[] }>(compose.services).flatMap((service) =>
        (service.ports ?? []).map((mapping) => mapping.split(":")[0]),
      );
      expect(new Set(published).size).toBe(published.length);
      expect(hostPorts("prometheus")).toEqual([19090]);
      expect(hostPorts("grafana")).toEqual([13000]);
    });
  });
});
