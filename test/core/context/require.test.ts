import { afterAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { VectorStoreUnavailableError } from "../../../core/vectors/index.js";
import { createTestContext } from "../../support/app-context.js";

/** The context hands out a component it has, or the typed 503 error naming the one it lacks. */
describe("AppContext.requireVectors / requirePublisher", () => {
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

  it("answers for the components of a copy, not of the context it was copied from", () => {
    const configured = context({});
    const copy: AppContext = { ...configured, vectors: undefined };
    expect(() => copy.requireVectors()).toThrow(VectorStoreUnavailableError);
  });
});
