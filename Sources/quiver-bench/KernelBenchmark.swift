import ArgumentParser
import Quiver
import QuiverKernels

/// `quiver-bench kernels`: ns per vector of every SIMD kernel against its plain scalar loop,
/// measured in the same run, rounds interleaved so both see the same machine noise.
struct KernelBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels",
    abstract: "ns per vector for each distance kernel, SIMD vs a plain scalar loop.")

  @Option(help: "Vectors scanned per round (one query against each).")
  var vectors = 1024

  @Option(help: "Timed rounds per kernel and variant; the median is reported.")
  var rounds = 41

  @Option(help: "Comma-separated dimensions.")
  var dimensions = "64,128,256,384,768,1024"

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  func run() throws {
    let dims = dimensions.split(separator: ",").compactMap { Int($0) }
    guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 && $0 % 8 == 0 }) else {
      throw ValidationError("dimensions must be positive multiples of 8")
    }
    var rows: [Row] = []
    for d in dims {
      rows += measure(dimension: d)
    }
    if json {
      let items = rows.map {
        "{\"d\":\($0.d),\"kernel\":\"\($0.kernel)\",\"simd_ns\":\(fmt($0.simd.median)),"
          + "\"simd_p90_ns\":\(fmt($0.simd.at(90))),\"scalar_ns\":\(fmt($0.scalar.median)),"
          + "\"scalar_p90_ns\":\(fmt($0.scalar.at(90))),\"speedup\":\(fmt($0.speedup))}"
      }
      print("{\"benchmark\":\"kernels\",\"vectors\":\(vectors),\"rounds\":\(rounds),\"rows\":[" + items.joined(separator: ",") + "]}")
    } else {
      print("kernel        d   simd ns/vec  scalar ns/vec  speedup   (median of \(rounds) rounds × \(vectors) vectors)")
      for r in rows {
        print(pad(r.kernel, 10) + pad(String(r.d), 6, left: true) + pad(fmt(r.simd.median), 14, left: true)
          + pad(fmt(r.scalar.median), 15, left: true) + pad(fmt(r.speedup) + "×", 9, left: true))
      }
    }
  }

  struct Row {
    let kernel: String
    let d: Int
    let simd: Percentiles
    let scalar: Percentiles
    var speedup: Double { scalar.median / simd.median }
  }

  private func measure(dimension d: Int) -> [Row] {
    var rng = SplitMix64(seed: UInt64(d))
    let n = vectors
    let base = (0..<(n * d)).map { _ in rng.nextGaussian() }
    let query = (0..<d).map { _ in rng.nextGaussian() }
    let base8 = (0..<(n * d)).map { _ in Int8(truncatingIfNeeded: rng.next() % 255) &- 127 }
    let query8 = (0..<d).map { _ in Int8(truncatingIfNeeded: rng.next() % 255) &- 127 }
    let words = d / 64 > 0 ? d / 64 : 1  // d bits, at least one word
    let bits = (0..<(n * words)).map { _ in rng.next() }
    let queryBits = (0..<words).map { _ in rng.next() }
    let m = d / 8  // PQ with 8 dimensions per sub-space: M = d / 8 codes per vector
    let codes = (0..<(n * m)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let table = (0..<(m * 256)).map { _ in Float(rng.nextGaussian()) }

    var rows: [Row] = []
    base.withUnsafeBufferPointer { b in
      query.withUnsafeBufferPointer { q in
        func slice(_ i: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: b.baseAddress! + i * d, count: d) }
        rows.append(compare("dot", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.dot(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.dot(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
        rows.append(compare("l2sq", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.squaredL2(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.squaredL2(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
        rows.append(compare("cosine", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.cosine(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.cosine(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
      }
    }
    base8.withUnsafeBufferPointer { b in
      query8.withUnsafeBufferPointer { q in
        func slice(_ i: Int) -> UnsafeBufferPointer<Int8> { UnsafeBufferPointer(start: b.baseAddress! + i * d, count: d) }
        rows.append(compare("int8dot", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.dotScaledInt8(q, scaleA: 0.01, slice(i), scaleB: 0.02); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.dotScaledInt8(q, scaleA: 0.01, slice(i), scaleB: 0.02); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
      }
      query.withUnsafeBufferPointer { q in
        func slice(_ i: Int) -> UnsafeBufferPointer<Int8> { UnsafeBufferPointer(start: b.baseAddress! + i * d, count: d) }
        // The int8 walk's distance: as the walk calls it (the AVX2 C kernel where the CPU has it),
        // and the Swift SIMD code alone (what a portable build runs without it).
        rows.append(compare("f32·i8", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.dotFloatInt8(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.dotFloatInt8(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
        rows.append(compare("f32·i8-swift", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.dotFloatInt8Portable(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.dotFloatInt8(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
      }
    }
    bits.withUnsafeBufferPointer { b in
      queryBits.withUnsafeBufferPointer { q in
        func slice(_ i: Int) -> UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: b.baseAddress! + i * words, count: words) }
        rows.append(compare("hamming", d, n,
          simd: { r in var s = 0; var i = r % n; for _ in 0..<n { s &+= Kernels.hamming(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s = 0; var i = r % n; for _ in 0..<n { s &+= ScalarKernels.hamming(q, slice(i)); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
      }
    }
    codes.withUnsafeBufferPointer { c in
      table.withUnsafeBufferPointer { t in
        func slice(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: c.baseAddress! + i * m, count: m) }
        rows.append(compare("pq-adc", d, n,
          simd: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += Kernels.pqDistance(codes: slice(i), table: t); i &+= 1; if i == n { i = 0 } }; return Double(s) },
          scalar: { r in var s: Float = 0; var i = r % n; for _ in 0..<n { s += ScalarKernels.pqDistance(codes: slice(i), table: t); i &+= 1; if i == n { i = 0 } }; return Double(s) }))
      }
    }
    return rows
  }

  private func compare(_ kernel: String, _ d: Int, _ n: Int, simd: (Int) -> Double, scalar: (Int) -> Double) -> Row {
    var simdNs: [Double] = []
    var scalarNs: [Double] = []
    blackHole(simd(0))  // warm caches and pages
    blackHole(scalar(0))
    // Each round starts its scan at another vector so that no two rounds repeat the same
    // computation (which the optimiser could otherwise do once and reuse).
    for round in 1...rounds {
      var t0 = MonotonicClock.nanoseconds()
      blackHole(simd(round))
      var t1 = MonotonicClock.nanoseconds()
      simdNs.append(Double(t1 - t0) / Double(n))
      t0 = MonotonicClock.nanoseconds()
      blackHole(scalar(round))
      t1 = MonotonicClock.nanoseconds()
      scalarNs.append(Double(t1 - t0) / Double(n))
    }
    return Row(kernel: kernel, d: d, simd: Percentiles(simdNs), scalar: Percentiles(scalarNs))
  }
}

func fmt(_ x: Double) -> String {
  let scaled = (x * 100).rounded() / 100
  return String(scaled)
}

func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
  let fill = String(repeating: " ", count: max(0, width - s.count))
  return left ? fill + s : s + fill
}
