/**
 * Progress of a run, per resource. `Pipeline.run` reports to this service when it is
 * provided; the CLI's reporter prints one line per resource to stderr.
 *
 * @since 0.1.0
 */
export {
  /**
   * @since 0.1.0
   */
  Progress,
  /**
   * @since 0.1.0
   */
  type ResourceProgress
} from "./internal/pipeline/progress.js"
