import Foundation

/// Sweeps and scheduler backends (Slurm, HTCondor, local GPU slots); one file per backend.
public enum PTBJobsModule {}
