import { afterAll, describe, expect, it } from "vitest";
import {
  type AppContext,
  CapabilityNotBuiltError,
  createContext,
  restrictContext,
  sourcesCapability,
  vectorsCapability,
} from "../../../core/context/index.js";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { VectorStoreUnavailableError } from "../../../core/vectors/index.js";
import { createTestContext } from "../../support/app-context.js";

/** The context hands out a component it has, or the typed 503 error naming the one it lacks. */
describe("AppContext.requireVectors / requirePublisher, and a context built with some capabilities", () => {
  const contexts: AppContext[] = [];
  const context = (overrides: Record<string, string>) => {
    const created = createTestContext(overrides);
    contexts.push(created);
    return created;
  };
  afterAll(async () => {
    await Promise.all(contexts.map((created) => created.close()));
  });

  it("gives the context with its vector store and publisher when configured", () => {
    const configured = context({});
    expect(configured.requireVectors().vectors).toBe(configured.vectors);
    expect(configured.requirePublisher().publisher).toBe(configured.publisher);
  });

  it("throws the typed unavailable errors when CHROMA_URL or KAFKA_BROKERS is blank", () => {
    const bare = context({ CHROMA_URL: "", KAFKA_BROKERS: "" });
    expect(() => bare.requireVectors()).toThrow(VectorStoreUnavailableError);
    const kafka = (() => {
      try {
        bare.requirePublisher();
      } catch (error) {
        return error as ComponentUnavailableError;
      }
    })();
    expect(kafka).toBeInstanceOf(ComponentUnavailableError);
    expect(kafka?.component).toBe("kafka");
  });

  it("builds only the capabilities a function lists: another one is a 503 naming it, and copies leave it out", () => {
    const full = context({});
    const restricted = createContext(full.settings, full.logger, { sources: sourcesCapability });
    contexts.push(restricted);
    expect(restricted.sources.list().length).toBeGreaterThan(0);
    const missing = (() => {
      try {
        return restricted.redis;
      } catch (error) {
        return error as CapabilityNotBuiltError;
      }
    })();
    expect(missing).toBeInstanceOf(CapabilityNotBuiltError);
    expect(missing).toBeInstanceOf(ComponentUnavailableError);
    expect((missing as CapabilityNotBuiltError).component).toBe("redis");
    // Capabilities listed as the base of another come with it: vectors are built on chroma and the keyword index.
    const withVectors = createContext(full.settings, full.logger, { vectors: vectorsCapability });
    contexts.push(withVectors);
    expect(withVectors.requireVectors().vectors).toBe(withVectors.vectors);
    expect(withVectors.keywords).toBeDefined();
    expect(Object.keys({ ...restricted }).filter((key) => key === "redis" || key === "sources")).toEqual(["sources"]);
    // The view the local server and the tests give a function behaves the same over a full context.
    const view = restrictContext(full, { sources: sourcesCapability });
    expect(view.sources).toBe(full.sources);
    expect(() => view.publisher).toThrow(CapabilityNotBuiltError);
    expect(() => view.healthProbes()).toThrow(CapabilityNotBuiltError);
  });

  it("answers for the components of a copy, not of the context it was copied from", () => {
    const configured = context({});
    const copy: AppContext = { ...configured, vectors: undefined };
    expect(() => copy.requireVectors()).toThrow(VectorStoreUnavailableError);
  });
});
