/// A command that cannot do what was asked for a reason in the data, not in its arguments: printed
/// as one line (`Error: …`) without the usage text a `ValidationError` adds.
struct CommandFailure: Error, CustomStringConvertible {
  let description: String
}
