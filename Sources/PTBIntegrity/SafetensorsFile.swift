import Foundation

/// A validated, memory-mapped safetensors file.
public final class SafetensorsFile: Sendable {
    public let path: String
    public let header: SafetensorsHeader
    private let mapped: MappedFile

    public init(path: String) throws(SafetensorsError) {
        self.path = path
        do {
            mapped = try MappedFile(path: path)
            header = try SafetensorsHeader.parse(file: mapped.bytes)
        } catch {
            if case .inFile = error { throw error }
            throw .inFile(path: path, error)
        }
    }

    public var fileSize: Int { mapped.size }

    /// The bytes of `tensor` (which must come from this file's header). Valid while `self` lives.
    public func bytes(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        let start = header.dataOffset + tensor.begin
        return UnsafeRawBufferPointer(rebasing: mapped.bytes[start..<(start + tensor.byteCount)])
    }

    /// The raw header (length prefix + JSON), for byte-identity checks of whole files.
    public var headerBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapped.bytes[0..<header.dataOffset])
    }

    /// `tensor` as a view that can release its pages chunk by chunk.
    public func view(of tensor: TensorInfo) -> TensorView {
        TensorView(bytes: bytes(of: tensor), dtype: tensor.dtype, owner: mapped, fileOffset: header.dataOffset + tensor.begin)
    }

    /// Lets the kernel drop `tensor`'s pages from this process once read.
    public func release(_ tensor: TensorInfo) {
        mapped.release((header.dataOffset + tensor.begin)..<(header.dataOffset + tensor.end))
    }
}
