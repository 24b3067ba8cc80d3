/// Why a metadata filter cannot be used: a one-line message naming the problem. A filter never
/// fails by returning nothing.
public struct FilterError: Error, Equatable, Sendable, CustomStringConvertible {
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { "filter: \(message)" }
}
