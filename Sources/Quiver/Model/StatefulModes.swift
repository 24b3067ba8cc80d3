/// Which terms of the stateful aggregator run (docs/aggregators.md): the model file stores the
/// setting it was trained with; an ``Embedder`` may run another for ablations.
public struct StatefulModes: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// γₜ = 1 + B[pos t][pos h]·ω(t − h)·g: the POS-pair boost against the most recent head.
  public static let boost = StatefulModes(rawValue: 1)
  /// g = 1 + (b_max − 1)·sigmoid(uᵀs) from the carry state s (without it, g = 1).
  public static let state = StatefulModes(rawValue: 2)
  /// The low-rank pairwise term Qᵀ Σ ω·(P eₜ) ⊙ (P e_h) for whitelisted POS pairs.
  public static let pairs = StatefulModes(rawValue: 4)

  /// The named settings of the ablation.
  public static let boostOnly: StatefulModes = [.boost]
  public static let boostAndState: StatefulModes = [.boost, .state]
  public static let full: StatefulModes = [.boost, .state, .pairs]

  /// "boost-only", "boost+state" or "stateful" (all terms).
  public init?(name: String) {
    switch name {
    case "boost-only": self = .boostOnly
    case "boost+state": self = .boostAndState
    case "stateful", "full": self = .full
    default: return nil
    }
  }

  public var name: String {
    switch self {
    case .boostOnly: "boost-only"
    case .boostAndState: "boost+state"
    case .full: "stateful"
    default: "modes \(rawValue)"
    }
  }
}
