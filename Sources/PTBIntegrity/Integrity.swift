import Foundation

/// Integrity checks that catch reward hacking; one file per check.
public enum PTBIntegrityModule {}
