import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium for the web UI tests (PTBWebTests' pages, PTBRunnerTests' real-agent traces).
public enum Chromium {
    /// Debian's binary, where `apt-get install chromium` puts it; nil when it is not installed.
    public static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `exe args` to completion and returns stdout; SIGKILL after `timeout` seconds, because
    /// a test process may hand an ignored SIGTERM on to its children.
    public static func capture(_ exe: String, _ args: [String], timeout: Double = 90) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let pid = p.processIdentifier
        let killer = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer.cancel()
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts `ptb serve --port 0 …` (`exe` with `args`) and returns it with the address it prints;
    /// kills it and throws when no address comes within 60 s.
    public static func startServe(_ exe: URL, _ args: [String]) throws -> (Process, String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let r = text.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression) { return (p, String(text[r].dropLast())) }
        }
        kill(p.processIdentifier, SIGKILL)
        throw ServeFailure(description: "ptb serve printed no address: \(text)")
    }

    public struct ServeFailure: Error, CustomStringConvertible {
        public var description: String
    }
}
