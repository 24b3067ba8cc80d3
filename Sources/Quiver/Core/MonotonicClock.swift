#if canImport(Glibc)
  import Glibc
#endif

/// The monotonic clock (`CLOCK_MONOTONIC`): durations for progress reports and benchmarks.
public enum MonotonicClock {
  /// Now, in nanoseconds since an arbitrary fixed point.
  @inline(__always)
  public static func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
  }
}
