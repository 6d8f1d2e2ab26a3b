import { InvalidInputError } from "../errors/index.js";

export interface RelationProblem {
  /** The include's path from the ingested table: `customers`, or `order_lines.products`. */
  include: string;
  problem: string;
  /** What would have been valid there (tables, columns or foreign key columns). */
  candidates?: string[];
}

/** Every include a request got wrong, in one 400, each with what it could have named instead. */
export class UnknownRelationsError extends InvalidInputError {
  readonly problems: RelationProblem[];

  constructor(source: string, table: string, problems: RelationProblem[]) {
    const described = problems.map(
      (item) =>
        `'${item.include}': ${item.problem}${item.candidates?.length ? ` (candidates: ${item.candidates.join(", ")})` : ""}`,
    );
    super(`include on '${table}': ${described.join("; ")}`, { source, table, relations: problems });
    this.name = "UnknownRelationsError";
    this.problems = problems;
  }
}
