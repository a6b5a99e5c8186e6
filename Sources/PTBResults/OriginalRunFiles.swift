import Foundation

/// Parsers for the files the original harness leaves in a run directory (§1.11, §3.3). Each accepts
/// what the original's aggregation scripts accept, so the same directory yields the same cell.
public enum OriginalRunFiles {
    public static let metrics = "metrics.json"
    public static let timeTaken = "time_taken.txt"
    public static let finalModel = "final_model"
    public static let contamination = "contamination_judgement.txt"
    public static let disallowed = "disallowed_model_judgement.txt"
    /// `new_judge_v2` (and `migrate_judgement_files.py`) replace the two text files with this.
    public static let judgeResult = "judge_result.json"

    /// These are one-line files; anything larger is garbage and not worth reading into memory.
    static let maxBytes = 1 << 20

    public enum Read<Value: Sendable>: Sendable {
        case value(Value)
        case missing
        case invalid(String)
    }

    /// `metrics.json["accuracy"]` as the original reads it: `float(str(value))`, so numbers and numeric
    /// strings count, booleans and everything else do not. Non-finite values are refused (the original
    /// would carry a NaN into the mean).
    public static func accuracy(in dir: URL) -> Read<Double> {
        let data: Data
        switch read(dir.appendingPathComponent(metrics)) {
        case .value(let d): data = d
        case .missing: return .missing
        case .invalid(let why): return .invalid("\(metrics): \(why)")
        }
        let file: MetricsFile
        do { file = try JSONDecoder().decode(MetricsFile.self, from: data) } catch {
            return .invalid("\(metrics) is not a JSON object (\(shortError(error)))")
        }
        switch file.accuracy {
        case nil, .null?: return .invalid("\(metrics) has no accuracy")
        case .number(let v)?: return v.isFinite ? .value(v) : .invalid("\(metrics): accuracy \(v) is not finite")
        case .string(let s)?:
            if let v = Double(s.trimmingCharacters(in: .whitespaces)), v.isFinite { return .value(v) }
            return .invalid("\(metrics): accuracy '\(s)' is not a number")
        case .bool?: return .invalid("\(metrics): accuracy is a boolean, not a number")
        case .other(let kind)?: return .invalid("\(metrics): accuracy is a \(kind), not a number")
        }
    }

    /// `time_taken.txt` (`HH:MM:SS`, `^(\d+):(\d{1,2}):(\d{1,2})$`, minutes and seconds < 60) in seconds.
    public static func timeTaken(in dir: URL) -> (seconds: Int?, raw: String?) {
        switch read(dir.appendingPathComponent(timeTaken)) {
        case .missing: return (nil, nil)
        case .invalid(let why): return (nil, "unreadable: \(why)")
        case .value(let data):
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return (parseDuration(text), text)
        }
    }

    public static func parseDuration(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitChar) }),
              parts[1].count <= 2, parts[2].count <= 2,
              let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]), m < 60, s < 60 else { return nil }
        return h * 3600 + m * 60 + s
    }

    /// The judge's verdicts: `judge_result.json` (booleans) when present, else the two text files.
    public static func verdicts(in dir: URL) -> RunFlags {
        let json = dir.appendingPathComponent(judgeResult)
        if FileManager.default.fileExists(atPath: json.path) { return judgeJSON(json) }
        let (c, cd) = textVerdict(dir.appendingPathComponent(contamination),
                                  positive: "contamination detected", negative: "no contamination detected")
        let (m, md) = textVerdict(dir.appendingPathComponent(disallowed),
                                  positive: "disallowed use detected", negative: "only allowed use detected")
        let detail = [cd, md].compactMap { $0 }.joined(separator: "; ")
        return RunFlags(contamination: c, disallowedModel: m, source: "\(contamination), \(disallowed)",
                        detail: detail.isEmpty ? nil : detail)
    }

    static func textVerdict(_ url: URL, positive: String, negative: String) -> (VerdictState, String?) {
        switch read(url) {
        case .missing: return (.missing, "\(url.lastPathComponent) is missing")
        case .invalid(let why): return (.missing, "\(url.lastPathComponent): \(why)")
        case .value(let data):
            guard let text = String(data: data, encoding: .utf8) else { return (.missing, "\(url.lastPathComponent) is not UTF-8") }
            switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
            case positive: return (.detected, nil)
            case negative: return (.clean, nil)
            case let other: return (.invalid, "\(url.lastPathComponent) says '\(other.prefix(80))'")
            }
        }
    }

    /// `{"contamination": bool, "disallowed_model": bool}` (new_judge_v2) or the migrated
    /// `{"contamination_detected": bool, "disallowed_model_detected": bool}`; non-booleans are errors.
    static func judgeJSON(_ url: URL) -> RunFlags {
        let object: [String: JSONScalar]
        switch read(url) {
        case .missing: return RunFlags(contamination: .missing, disallowedModel: .missing, source: judgeResult, detail: "\(judgeResult) vanished")
        case .invalid(let why):
            return RunFlags(contamination: .missing, disallowedModel: .missing, source: judgeResult, detail: "\(judgeResult): \(why)")
        case .value(let data):
            do { object = try JSONDecoder().decode([String: JSONScalar].self, from: data) } catch {
                return RunFlags(contamination: .invalid, disallowedModel: .invalid, source: judgeResult,
                                detail: "\(judgeResult) is not a JSON object (\(shortError(error)))")
            }
        }
        var problems: [String] = []
        func verdict(_ keys: [String]) -> VerdictState {
            guard let key = keys.first(where: { object[$0] != nil }) else {
                problems.append("\(judgeResult) has no \(keys[0])")
                return .invalid
            }
            if case .bool(let b)? = object[key] { return b ? .detected : .clean }
            problems.append("\(judgeResult): \(key) is not a boolean")
            return .invalid
        }
        let c = verdict(["contamination", "contamination_detected"])
        let m = verdict(["disallowed_model", "disallowed_model_detected"])
        return RunFlags(contamination: c, disallowedModel: m, source: judgeResult,
                        detail: problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    static func read(_ url: URL) -> Read<Data> {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else { return .missing }
        if isDir.boolValue { return .invalid("is a directory") }
        if let size = (try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber, size.intValue > maxBytes {
            return .invalid("\(size.intValue) bytes, larger than any real one")
        }
        do { return .value(try Data(contentsOf: url)) } catch { return .invalid("cannot read (\(error.localizedDescription))") }
    }

    static func shortError(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let c) = error { return c.debugDescription }
        if case DecodingError.typeMismatch(_, let c) = error { return c.debugDescription }
        return String(describing: error).prefix(120).description
    }
}

private struct MetricsFile: Decodable {
    var accuracy: JSONScalar?
}

/// A JSON value reduced to what the verdict and metrics rules distinguish.
enum JSONScalar: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case other(String)

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if (try? c.decode([JSONAny].self)) != nil {
            self = .other("list")
        } else { self = .other("object") }
    }
}

/// Swallows any JSON value (used to classify arrays and objects without keeping them).
private struct JSONAny: Decodable {
    init(from decoder: any Decoder) throws {}
}

extension Character {
    var isASCIIDigitChar: Bool { ("0"..."9").contains(self) }
}
