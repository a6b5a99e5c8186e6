import Synchronization

/// A flag that goes from unset to set once, shared between a watchdog (a timer, a backstop) and
/// the task it watches: the task reads it after the fact to tell "killed by the timer" from
/// "stopped on its own".
public final class OneWayFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public func set() { value.withLock { $0 = true } }
    public var isSet: Bool { value.withLock { $0 } }
}
