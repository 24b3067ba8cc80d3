import QuiverKernels

#if canImport(Glibc)
  import Glibc
#endif

/// The stateful aggregator (docs/aggregators.md, after `stateful-aggregation-proposal.md`). Over
/// the live tokens k = 0…n−1, with eₖ decoded at the full dimension D, weight wₖ and POS bucket bₖ:
///
///     s ← α·s + β·wₖ·eₖ[0..<S]                                   (state)
///     h = the most recent head token before k, Δ = k − h ≤ W, ω = exp(−λ(Δ − 1))
///     γₖ = 1 + B[bₖ][b_h]·ω·g,  g = 1 + (b_max − 1)·sigmoid(uᵀs)  (boost; g = 1 without state)
///     a += γₖ·wₖ·eₖ
///     z += ω·(P eₖ) ⊙ (P e_h)   when (bₖ, b_h) is whitelisted   (pairs)
///     a += Qᵀ z at the end, then a / ‖a‖.
///
/// Parameters are decoded from f16 to f32 at open. For PQ models, P eₖ is a sum of M rows of a
/// table T[m][c] = P_m·centroid(m, c) (M·256·r floats, built at open), so a projection costs M
/// lookups instead of an r×D product. The state, z and projections live in a stack buffer.
final class StatefulAggregator: @unchecked Sendable {
  /// The terms the model was trained with.
  let modes: StatefulModes
  let stateSize: Int, buckets: Int, rank: Int, window: Int
  let headMask: UInt32
  let alpha: Float, beta: Float, lambda: Float, bMax: Float
  let dimension: Int
  private let boost: UnsafeMutablePointer<Float>      // K × K
  private let whitelist: UnsafeMutablePointer<UInt8>  // K × K
  private let gate: UnsafeMutablePointer<Float>       // S
  private let p: UnsafeMutablePointer<Float>          // r × D
  private let q: UnsafeMutablePointer<Float>          // r × D
  private let omega: UnsafeMutablePointer<Float>      // W + 1: ω(Δ)
  private var projectionTable: UnsafeMutablePointer<Float>?  // M × 256 × r (PQ models)

  /// Parses the aggregator section (layout in docs/aggregators.md) for a model of `dimension`
  /// whose vectors are `vectors`.
  init(section: UnsafeRawBufferPointer, dimension: Int, vectors: TokenVectors) throws {
    func invalid(_ why: String) -> ModelFileError { .invalidAggregatorParameters("stateful: " + why) }
    guard section.count >= 48 else { throw invalid("section of \(section.count) bytes") }
    func u32(_ at: Int) -> Int { Int(LittleEndian.load(section, at: at, as: UInt32.self)) }
    func f32(_ at: Int) -> Float { Float(bitPattern: LittleEndian.load(section, at: at, as: UInt32.self)) }
    guard u32(0) == 1 else { throw invalid("version \(u32(0))") }
    let s = u32(8), k = u32(12), r = u32(16), w = u32(20)
    guard (1...64).contains(s), s <= dimension, (1...32).contains(k), (1...256).contains(r), (1...64).contains(w) else {
      throw invalid("sizes S \(s), K \(k), r \(r), W \(w)")
    }
    let expected = 48 + 2 * k * k + k * k + 2 * s + 4 * r * dimension
    guard section.count == expected else { throw invalid("\(section.count) bytes, expected \(expected)") }
    modes = StatefulModes(rawValue: UInt32(u32(4)))
    guard StatefulModes.full.isSuperset(of: modes) else { throw invalid("unknown mode bits \(modes.rawValue)") }
    stateSize = s; buckets = k; rank = r; window = w
    headMask = UInt32(u32(24))
    alpha = f32(32); beta = f32(36); lambda = f32(40); bMax = f32(44)
    guard [alpha, beta, lambda, bMax].allSatisfy(\.isFinite) else { throw invalid("non-finite scalar") }
    self.dimension = dimension
    func halves(_ offset: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
      let out = UnsafeMutablePointer<Float>.allocate(capacity: count)
      for i in 0..<count { out[i] = Float(section.loadUnaligned(fromByteOffset: offset + 2 * i, as: Float16.self)) }
      return out
    }
    var o = 48
    boost = halves(o, k * k); o += 2 * k * k
    whitelist = .allocate(capacity: k * k)
    for i in 0..<(k * k) { whitelist[i] = section[o + i] }
    o += k * k
    gate = halves(o, s); o += 2 * s
    p = halves(o, r * dimension); o += 2 * r * dimension
    q = halves(o, r * dimension)
    omega = .allocate(capacity: w + 1)
    for delta in 0...w { omega[delta] = expf(-lambda * Float(max(delta - 1, 0))) }
    if case .pq(let codebook, _, let m, let sub) = vectors.storage {
      let table = UnsafeMutablePointer<Float>.allocate(capacity: m * 256 * r)
      for part in 0..<m {
        for c in 0..<256 {
          let centroid = codebook + (part * 256 + c) * sub
          for j in 0..<r {
            var sum: Float = 0
            for i in 0..<sub { sum += p[j * dimension + part * sub + i] * centroid[i] }
            table[(part * 256 + c) * r + j] = sum
          }
        }
      }
      projectionTable = table
    }
  }

  deinit {
    boost.deallocate(); whitelist.deallocate(); gate.deallocate(); p.deallocate(); q.deallocate(); omega.deallocate()
    projectionTable?.deallocate()
  }

  /// out = P·e(token) (r floats), from the PQ table or from the decoded vector `e`.
  @inline(__always)
  private func project(token: Int, decoded e: UnsafePointer<Float>, vectors: TokenVectors, into out: UnsafeMutablePointer<Float>) {
    if let table = projectionTable, case .pq(_, let codes, let m, _) = vectors.storage {
      let row = codes + token &* m
      if rank == 16 {  // the trained rank: the sum stays in one register (measured 1.8× → see docs/quality.md)
        let raw = UnsafeRawPointer(table)
        var sum = SIMD16<Float>()
        for j in 0..<m { sum += raw.loadUnaligned(fromByteOffset: (j &* 256 &+ Int(row[j])) &* 64, as: SIMD16<Float>.self) }
        UnsafeMutableRawPointer(out).storeBytes(of: sum, as: SIMD16<Float>.self)
        return
      }
      out.update(repeating: 0, count: rank)
      for j in 0..<m { VectorMath.addScaled(1, table + (j &* 256 &+ Int(row[j])) &* rank, into: out, count: rank) }
    } else {
      let vector = UnsafeBufferPointer(start: e, count: dimension)
      for j in 0..<rank { out[j] = Kernels.dot(UnsafeBufferPointer(start: p + j &* dimension, count: dimension), vector) }
    }
  }

  /// The aggregate of the live `tokens` (with `weights`) under `modes`, into `acc` (its first `d`
  /// components, not yet normalised). `decoded` holds D floats of scratch.
  func aggregate(tokens: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>, codes: UnsafePointer<UInt8>,
                 vectors: TokenVectors, modes: StatefulModes, decoded e: UnsafeMutablePointer<Float>,
                 into acc: UnsafeMutablePointer<Float>, dimension d: Int) {
    assert(tokens.count == weights.count, "stateful: \(tokens.count) tokens, \(weights.count) weights")
    assert(tokens.allSatisfy { $0 >= 0 && Int($0) < vectors.count }, "stateful: token out of the vocabulary")
    acc.update(repeating: 0, count: d)
    let useState = modes.contains(.state), useBoost = modes.contains(.boost), usePairs = modes.contains(.pairs)
    let s = stateSize, r = rank, k = buckets
    withUnsafeTemporaryAllocation(of: Float.self, capacity: s + 3 * r) { buffer in
      let state = buffer.baseAddress!
      let z = state + s, projection = z + r, headProjection = projection + r
      buffer.initialize(repeating: 0)
      var head = -1
      var headBucket = 0
      for index in 0..<tokens.count {
        let token = Int(tokens[index])
        let w = weights[index]
        let bucket = Int(codes[token])
        e.update(repeating: 0, count: dimension)
        vectors.accumulate(token: token, weight: 1, into: e, dimension: dimension)
        if useState {
          for i in 0..<s { state[i] = alpha * state[i] + beta * w * e[i] }
        }
        let near = head >= 0 && index - head <= window
        let om: Float = near ? omega[index - head] : 0
        var gamma: Float = 1
        if useBoost && near {
          var g: Float = 1
          if useState {
            let x = Kernels.dot(UnsafeBufferPointer(start: gate, count: s), UnsafeBufferPointer(start: state, count: s))
            g = 1 + (bMax - 1) / (1 + expf(-x))
          }
          gamma = 1 + boost[bucket &* k &+ headBucket] * om * g
        }
        VectorMath.addScaled(gamma * w, e, into: acc, count: d)
        var projected = false
        if usePairs && near && whitelist[bucket &* k &+ headBucket] != 0 {
          project(token: token, decoded: e, vectors: vectors, into: projection)
          projected = true
          for j in 0..<r { z[j] += om * projection[j] * headProjection[j] }
        }
        if headMask >> UInt32(bucket) & 1 != 0 {
          head = index
          headBucket = bucket
          if usePairs {
            if projected {
              headProjection.update(from: projection, count: r)
            } else {
              project(token: token, decoded: e, vectors: vectors, into: headProjection)
            }
          }
        }
      }
      if usePairs {
        for j in 0..<r where z[j] != 0 { VectorMath.addScaled(z[j], q + j &* dimension, into: acc, count: d) }
      }
    }
  }
}
