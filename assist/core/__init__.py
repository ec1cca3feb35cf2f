"""What every feature uses: database base, scoping, permissions, audit, pagination, errors."""
