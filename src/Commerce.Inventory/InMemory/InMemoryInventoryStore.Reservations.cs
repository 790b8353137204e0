using Commerce.Inventory.Storage;

namespace Commerce.Inventory.InMemory;

public sealed partial class InMemoryInventoryStore
{
    /// <inheritdoc />
    public ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken)
    {
        if (_reservations.TryGetValue(command.Id, out var existing))
        {
            return new(Replay(existing, command));
        }

        var lines = command.Lines;
        var rows = new StockRow[lines.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = GetRowOrThrow(lines[i].Sku, lines[i].Location);
        }

        // Lock in one global order so that two reservations over the same SKUs cannot deadlock.
        var order = LockOrder(rows);
        var entry = new ReservationEntry(command, rows, order);
        var taken = 0;
        try
        {
            for (; taken < order.Length; taken++)
            {
                Monitor.Enter(rows[order[taken]]);
            }

            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i].Reservable < lines[i].Quantity)
                {
                    return new(ReservationResult.InsufficientStock(Availability(lines, rows)));
                }
            }

            // Claim the id while the rows are held; a concurrent copy of this request loses here and replays ours.
            if (!_reservations.TryAdd(command.Id, entry))
            {
                entry = null;
            }
            else
            {
                for (var i = 0; i < rows.Length; i++)
                {
                    var row = rows[i];
                    row.Reserved += lines[i].Quantity;
                    row.Movements.Add(NextSequence(), StockMovementKind.Reserved, 0, lines[i].Quantity, "reserved", command.Id.Value, command.Now);
                }

                AppendEvent(entry.ToReservation(), command.Now);
            }
        }
        finally
        {
            while (taken > 0)
            {
                Monitor.Exit(rows[order[--taken]]);
            }
        }

        return new(entry is null ? Replay(GetEntryOrThrow(command.Id), command) : ReservationResult.Success(entry.ToReservation()));
    }

    /// <inheritdoc />
    public ValueTask<ReservationResult> CommitAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = GetEntryOrThrow(id);
        lock (entry)
        {
            switch (entry.State)
            {
                case ReservationState.Committed:
                    return new(ReservationResult.Success(entry.ToReservation(), isReplay: true));
                case ReservationState.Released:
                    return new(NotActive(entry, "committed"));
                case ReservationState.Expired:
                    return new(Expired(entry));
            }

            if (now >= entry.ExpiresAt)
            {
                return new(Expired(entry));
            }

            Finish(entry, ReservationState.Committed, now);
            return new(ReservationResult.Success(entry.ToReservation()));
        }
    }

    /// <inheritdoc />
    public ValueTask<ReservationResult> ReleaseAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = GetEntryOrThrow(id);
        lock (entry)
        {
            switch (entry.State)
            {
                case ReservationState.Released:
                case ReservationState.Expired:
                    // The stock is back either way: releasing is idempotent.
                    return new(ReservationResult.Success(entry.ToReservation(), isReplay: true));
                case ReservationState.Committed:
                    return new(NotActive(entry, "released"));
            }

            Finish(entry, ReservationState.Released, now);
            return new(ReservationResult.Success(entry.ToReservation()));
        }
    }

    /// <inheritdoc />
    public ValueTask<ReservationResult> ExtendAsync(ReservationId id, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = GetEntryOrThrow(id);
        lock (entry)
        {
            if (entry.State == ReservationState.Expired || (entry.State == ReservationState.Active && now >= entry.ExpiresAt))
            {
                return new(Expired(entry));
            }

            if (entry.State != ReservationState.Active)
            {
                return new(NotActive(entry, "extended"));
            }

            if (expiresAt > entry.ExpiresAt)
            {
                entry.ExpiresAt = expiresAt;
            }

            return new(ReservationResult.Success(entry.ToReservation()));
        }
    }

    /// <inheritdoc />
    public ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken)
    {
        if (!_reservations.TryGetValue(id, out var entry))
        {
            return new((Reservation?)null);
        }

        lock (entry)
        {
            return new(entry.ToReservation());
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ExpireAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        var expired = 0;
        foreach (var (id, entry) in _reservations.ScanEntries())
        {
            if (entry.State != ReservationState.Active)
            {
                // Forget finished reservations after the retention window, keeping memory bounded.
                if (entry.FinishedAt is { } finished && now - finished > _retention)
                {
                    _reservations.TryRemove(id, entry);
                }

                continue;
            }

            if (expired >= maxCount || entry.ExpiresAt > now)
            {
                continue;
            }

            lock (entry)
            {
                // Re-checked under the lock: a commit, release or extend may have won the race.
                if (entry.State == ReservationState.Active && entry.ExpiresAt <= now)
                {
                    Finish(entry, ReservationState.Expired, now);
                    expired++;
                }
            }
        }

        foreach (var (key, record) in _stockChanges)
        {
            if (now - record.CreatedAt > _retention)
            {
                _stockChanges.TryRemove(new KeyValuePair<IdempotencyKey, StockChangeRecord>(key, record));
            }
        }

        return new(expired);
    }

    /// <summary>Moves an active reservation to a final state and returns its stock. Caller holds the entry's lock.</summary>
    private void Finish(ReservationEntry entry, ReservationState state, DateTimeOffset now)
    {
        var rows = entry.Rows!;
        var order = entry.LockOrder!;
        var taken = 0;
        try
        {
            for (; taken < order.Length; taken++)
            {
                Monitor.Enter(rows[order[taken]]);
            }

            var (kind, reason) = state switch
            {
                ReservationState.Committed => (StockMovementKind.Committed, "committed"),
                ReservationState.Released => (StockMovementKind.Released, "released"),
                _ => (StockMovementKind.Expired, "expired"),
            };

            for (var i = 0; i < rows.Length; i++)
            {
                var row = rows[i];
                var quantity = entry.Lines[i].Quantity;
                row.Reserved -= quantity;
                var onHandDelta = state == ReservationState.Committed ? -quantity : 0;
                row.OnHand += onHandDelta;
                row.Movements.Add(NextSequence(), kind, onHandDelta, -quantity, reason, entry.Id.Value, now);
            }

            entry.State = state;
            entry.FinishedAt = now;
            entry.ForgetRows();
            AppendEvent(entry.ToReservation(), now);
        }
        finally
        {
            while (taken > 0)
            {
                Monitor.Exit(rows[order[--taken]]);
            }
        }
    }

    private void AppendEvent(Reservation reservation, DateTimeOffset now) =>
        _outbox?.Append(InventoryEventFactory.EventType(reservation.State), reservation.Id.Value, now, reservation, SerializePayload);

    private ReservationEntry GetEntryOrThrow(ReservationId id) =>
        _reservations.TryGetValue(id, out var entry)
            ? entry
            : throw new CommerceException(new CommerceError(InventoryErrorCodes.ReservationNotFound, $"No reservation has id '{id}'.", "id"));

    private static ReservationResult Replay(ReservationEntry existing, ReservationCommand command)
    {
        if (existing.Fingerprint != command.Fingerprint)
        {
            throw new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                $"Reservation id '{command.Id}' was already used for a different request.", "Id");
        }

        lock (existing)
        {
            return ReservationResult.Success(existing.ToReservation(), isReplay: true);
        }
    }

    private static ReservationResult NotActive(ReservationEntry entry, string verb) =>
        ReservationResult.Failure(
            new CommerceError(InventoryErrorCodes.ReservationNotActive,
                $"Reservation '{entry.Id}' is {InventoryEventFactory.StateName(entry.State)} and cannot be {verb}."),
            entry.ToReservation());

    private static ReservationResult Expired(ReservationEntry entry) =>
        ReservationResult.Failure(
            new CommerceError(InventoryErrorCodes.ReservationExpired, $"Reservation '{entry.Id}' expired at {entry.ExpiresAt:O}."),
            entry.ToReservation());

    private static LineAvailability[] Availability(IReadOnlyList<ReservedLine> lines, StockRow[] rows)
    {
        var availability = new LineAvailability[lines.Count];
        for (var i = 0; i < availability.Length; i++)
        {
            availability[i] = new LineAvailability(lines[i].Sku, lines[i].Location, lines[i].Quantity, Math.Max(0, rows[i].Reservable));
        }

        return availability;
    }

    private static int[] LockOrder(StockRow[] rows)
    {
        if (rows.Length == 1)
        {
            return SingleRowOrder;
        }

        var order = new int[rows.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => rows[a].CompareTo(rows[b]));
        return order;
    }

    private static readonly int[] SingleRowOrder = [0];

    /// <summary>A reservation and the rows it holds. State and deadline change under the entry's own monitor.</summary>
    private sealed class ReservationEntry(ReservationCommand command, StockRow[] rows, int[] lockOrder)
    {
        public ReservationId Id { get; } = command.Id;

        public IReadOnlyList<ReservedLine> Lines { get; } = command.Lines;

        public Guid Fingerprint { get; } = command.Fingerprint;

        public DateTimeOffset CreatedAt { get; } = command.Now;

        /// <summary>The rows held, in line order, and the order to lock them in; null once finished (no stock held).</summary>
        public StockRow[]? Rows { get; private set; } = rows;

        public int[]? LockOrder { get; private set; } = lockOrder;

        public DateTimeOffset ExpiresAt { get; set; } = command.ExpiresAt;

        public ReservationState State { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public Reservation ToReservation() => new(Id, Lines, State, CreatedAt, ExpiresAt);

        // A finished reservation is kept for replays and the retention window only; its rows are not needed again.
        public void ForgetRows()
        {
            Rows = null;
            LockOrder = null;
        }
    }
}
