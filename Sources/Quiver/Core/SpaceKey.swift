/// The identity of an embedding space: the model that makes its vectors and their dimension.
///
/// Canonical bytes (the key in the `spaces` database): the UTF-8 of `"<model>@<dimension>"`, where
/// `<model>` is `qvm:` followed by the 32 lower-case hex digits of a Quiver model's content hash, or
/// an external model's declared name (any UTF-8 without `@`), and `<dimension>` is decimal.
/// Example: `qvm:4a7c7589cfcbfd2991644557562bd239@256`, `bge-small-en-v1.5@384`.
public struct SpaceKey: Hashable, Sendable, CustomStringConvertible {
  /// The model identity (`qvm:<hash>` or an external name).
  public let model: String
  /// The vectors' dimension.
  public let dimension: Int

  /// - Precondition: `model` is non-empty and has no `@`; `dimension > 0`.
  public init(model: String, dimension: Int) {
    precondition(!model.isEmpty && !model.contains("@") && dimension > 0, "invalid space key")
    self.model = model
    self.dimension = dimension
  }

  /// Parses the canonical form; nil if it is not one.
  public init?(parsing text: String) {
    guard let at = text.lastIndex(of: "@"), let d = Int(text[text.index(after: at)...]), d > 0 else { return nil }
    let model = String(text[..<at])
    guard !model.isEmpty, !model.contains("@") else { return nil }
    self.init(model: model, dimension: d)
  }

  /// The canonical form, also the key's bytes.
  public var description: String { "\(model)@\(dimension)" }
}
