import Foundation
import Quiver

/// Order statistics of a sample of measurements.
struct Percentiles {
  private let sorted: [Double]

  init(_ samples: [Double]) {
    precondition(!samples.isEmpty, "no samples")
    sorted = samples.sorted()
  }

  /// The value below which `p` percent of the samples fall (nearest rank).
  func at(_ p: Double) -> Double {
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
  }

  var median: Double { at(50) }
}

/// Consumes a computed value so the optimiser cannot delete the work that produced it: the function
/// is compiled without optimisation, so its use of the argument cannot be proven dead.
@_optimize(none)
func blackHole<T>(_ value: T) {}

/// CPU time this process has used so far, in seconds (every thread's): how much work an ingest
/// costs, beside how long it took on a machine whose cores it shares.
func processCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
