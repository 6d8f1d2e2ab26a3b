import { AppError } from "../errors/index.js";

/** The configuration failed validation; `problems` lists every bad or missing setting. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`, {
      code: "invalid_configuration",
    });
    this.name = "ConfigError";
    this.problems = problems;
  }
}
