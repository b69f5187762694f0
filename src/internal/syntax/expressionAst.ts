/**
 * The parsed form of a `stop_condition` / `cursor_value` expression: what the parser builds and
 * the evaluator walks.
 */

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not"

/** The parsed tree. `pos` is the offset of the node's first token (or operator) in the source. */
export type Node =
  | { readonly _tag: "Literal"; readonly pos: number; readonly value: unknown }
  | { readonly _tag: "List"; readonly pos: number; readonly items: ReadonlyArray<Node> }
  | { readonly _tag: "Dict"; readonly pos: number; readonly entries: ReadonlyArray<readonly [Node, Node]> }
  | { readonly _tag: "Name"; readonly pos: number; readonly name: string }
  | { readonly _tag: "Attribute"; readonly pos: number; readonly target: Node; readonly name: string }
  | { readonly _tag: "Subscript"; readonly pos: number; readonly target: Node; readonly index: Node }
  | { readonly _tag: "Get"; readonly pos: number; readonly target: Node; readonly key: Node; readonly fallback?: Node }
  | { readonly _tag: "Call"; readonly pos: number; readonly fn: string; readonly args: ReadonlyArray<Node> }
  | { readonly _tag: "Not"; readonly pos: number; readonly operand: Node }
  | { readonly _tag: "Negate"; readonly pos: number; readonly operand: Node }
  | { readonly _tag: "Logical"; readonly pos: number; readonly op: "and" | "or"; readonly left: Node; readonly right: Node }
  | {
    readonly _tag: "Compare"
    readonly pos: number
    readonly first: Node
    readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly pos: number; readonly right: Node }>
  }

export interface Expression {
  readonly source: string
  readonly ast: Node
}
